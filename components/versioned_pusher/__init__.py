"""A Pusher that publishes blessed models as numbered versions in TF Serving's layout."""
