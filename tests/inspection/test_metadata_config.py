"""The metadata section: sqlite under run_root by default, a shared MySQL store when configured."""

import re
from pathlib import Path

import pytest
from ml_metadata.proto import metadata_store_pb2

from configs import ConfigError, load_config
from configs.metadata import MetadataConfig
from inspection import metadata

DEMO = Path(__file__).resolve().parents[2] / "configs" / "local.yaml"
MYSQL = dict(host="mlmd.internal", port=3307, database="arcface_mlmd", user="tfx", password="s3cret")
SQLITE_MODES = metadata_store_pb2.SqliteMetadataSourceConfig


def test_default_is_the_sqlite_file_of_the_run(tmp_path):
    config = load_config(DEMO, {"run_root": str(tmp_path / "run")})
    reader = config.metadata.connection_config(config.metadata_path, read_only=True)
    assert reader.sqlite.filename_uri == str(tmp_path / "run" / "metadata.sqlite")
    assert reader.sqlite.connection_mode == SQLITE_MODES.READONLY
    assert not (tmp_path / "run").exists(), "a reader must not create anything"
    writer = config.metadata.connection_config(config.metadata_path)
    assert writer.sqlite.connection_mode == SQLITE_MODES.READWRITE_OPENCREATE
    assert (tmp_path / "run").is_dir()
    assert config.metadata.describe(config.metadata_path) == str(tmp_path / "run" / "metadata.sqlite")


def test_mysql_connection_and_a_password_that_is_never_shown():
    config = load_config(DEMO, {"metadata": {"mysql": MYSQL}})
    connection = config.metadata.connection_config(config.metadata_path)
    assert connection.WhichOneof("config") == "mysql"
    mysql = connection.mysql
    assert (mysql.host, mysql.port, mysql.database) == ("mlmd.internal", 3307, "arcface_mlmd")
    assert (connection.mysql.user, connection.mysql.password) == ("tfx", "s3cret")
    assert not connection.mysql.skip_db_creation
    assert config.metadata.connection_config(config.metadata_path, read_only=True).mysql.skip_db_creation
    assert config.metadata.describe(config.metadata_path) == "mysql://tfx@mlmd.internal:3307/arcface_mlmd"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize(
    "mysql, message",
    [
        ({**MYSQL, "port": 0}, "metadata.mysql.port: Input should be greater than or equal to 1"),
        ({**MYSQL, "database": "x; DROP"}, "metadata.mysql.database: String should match pattern"),
        ({**MYSQL, "hostname": "h"}, "metadata.mysql.hostname: Extra inputs are not permitted"),
        ({k: v for k, v in MYSQL.items() if k != "user"}, "metadata.mysql.user: Field required"),
    ],
)
def test_bad_mysql_settings_are_refused_naming_the_key(mysql, message):
    with pytest.raises(ConfigError, match="local.yaml: .*" + message.replace(".", r"\.")) as refused:
        load_config(DEMO, {"metadata": {"mysql": mysql}})
    assert "s3cret" not in str(refused.value)


def test_a_remote_sqlite_path_asks_for_mysql():
    expected = "expected a local path for the sqlite store, got gs://b/run/metadata.sqlite: a remote run_root"
    with pytest.raises(ValueError, match=re.escape(expected + " needs metadata.mysql")):
        MetadataConfig().connection_config("gs://b/run/metadata.sqlite", read_only=True)


def test_a_store_that_is_not_there_is_named_not_created(tmp_path):
    config = load_config(DEMO, {"run_root": str(tmp_path / "never-ran")})
    expected = f"no ML Metadata store at {tmp_path / 'never-ran' / 'metadata.sqlite'}: run the pipeline first"
    with pytest.raises(FileNotFoundError, match=re.escape(expected)):
        metadata.open_store(config)
    assert not (tmp_path / "never-ran").exists()
