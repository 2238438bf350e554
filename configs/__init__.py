"""Typed, validated pipeline configuration: `load_config("configs/local.yaml")`."""

from configs.config import ConfigError, PipelineConfig, load_config

__all__ = ["ConfigError", "PipelineConfig", "load_config"]
