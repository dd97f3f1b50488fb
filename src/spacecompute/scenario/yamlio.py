"""Kept for compatibility: the YAML reader lives in :mod:`spacecompute.yamlio`."""

from ..yamlio import LocatedYaml, format_path, load_yaml_file, load_yaml_text

__all__ = ["LocatedYaml", "format_path", "load_yaml_file", "load_yaml_text"]
