"""Loader, exporter and command line of the JHU COVID-19 warehouse."""

__version__ = "0.1.0"
