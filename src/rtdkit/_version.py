"""The installed version, in a module of its own so that reading it imports nothing else."""

from importlib.metadata import version

__all__ = ["__version__"]

# One source of truth: the version pip installed (pyproject.toml's [project] version).
__version__ = version("rtdkit")
