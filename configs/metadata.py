"""Config section for the ML Metadata store: a sqlite file under run_root, or a shared MySQL database.

A team that wants one history of every run (who trained what, from which data, with which result)
points all its configs at one MySQL or MariaDB database:

    metadata:
      mysql: {host: mlmd.internal, port: 3306, database: arcface_mlmd, user: tfx, password: ...}
"""

from pathlib import Path
from typing import Optional, Union

from ml_metadata.proto import metadata_store_pb2
from pydantic import Field, SecretStr

from configs.base import Section


class MySQLConfig(Section):
    """A MySQL or MariaDB database shared as one ML Metadata store."""

    host: str = Field(min_length=1)
    """The database server's host name."""
    port: int = Field(3306, ge=1, le=65535)
    """The database server's port."""
    # MLMD creates the database on first use, so the name goes into SQL: plain identifiers only.
    database: str = Field(pattern=r"^[A-Za-z0-9_]{1,64}$")
    """The database holding the store (created on first use)."""
    user: str = Field(min_length=1)
    """The database user."""
    password: SecretStr = SecretStr("")
    """The user's password; it never appears in a repr, a log line or a validation error."""


class MetadataConfig(Section):
    """Where ML Metadata records the runs: `mysql` when set, else the sqlite file of the run."""

    mysql: Optional[MySQLConfig] = None
    """A shared MySQL / MariaDB store; null: the sqlite file `<run_root>/metadata.sqlite`."""

    def connection_config(
        self, sqlite_path: Union[Path, str], read_only: bool = False
    ) -> metadata_store_pb2.ConnectionConfig:
        """The MLMD connection: MySQL if configured, else the sqlite file at `sqlite_path`.

        `read_only` is for readers (the inspection commands): they must never create a store, so a
        wrong path or database name is an error instead of a new, empty store.
        """
        config = metadata_store_pb2.ConnectionConfig()
        if self.mysql is not None:
            config.mysql.host = self.mysql.host
            config.mysql.port = self.mysql.port
            config.mysql.database = self.mysql.database
            config.mysql.user = self.mysql.user
            config.mysql.password = self.mysql.password.get_secret_value()
            config.mysql.skip_db_creation = read_only
            return config
        if "://" in str(sqlite_path):
            raise ValueError(
                f"expected a local path for the sqlite store, got {sqlite_path}: "
                "a remote run_root needs metadata.mysql"
            )
        modes = metadata_store_pb2.SqliteMetadataSourceConfig
        config.sqlite.filename_uri = str(sqlite_path)
        config.sqlite.connection_mode = modes.READONLY if read_only else modes.READWRITE_OPENCREATE
        if not read_only:
            # MLMD creates the file but not its folder.
            Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        return config

    def describe(self, sqlite_path: Union[Path, str]) -> str:
        """Where the store is, for people: `mysql://tfx@host:3306/db` or the sqlite file path."""
        if self.mysql is not None:
            return f"mysql://{self.mysql.user}@{self.mysql.host}:{self.mysql.port}/{self.mysql.database}"
        return str(sqlite_path)
