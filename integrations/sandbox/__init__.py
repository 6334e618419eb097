"""Fake Datto RMM and Freshservice servers for `make run`, demos, tests and the bench."""

from .datto import DattoSandbox
from .freshservice import FreshserviceSandbox
from .seed import World, build_world

__all__ = ["DattoSandbox", "FreshserviceSandbox", "World", "build_world"]
