"""Agora: a server-rendered social posting site."""

__version__ = "0.1.0"
