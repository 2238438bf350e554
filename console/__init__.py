"""What the command lines print around their work: a quiet start (`console.quiet`)."""
