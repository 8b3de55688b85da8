"""Helpers the tests share (servers, fakes, factories), imported as modules, not from conftest."""
