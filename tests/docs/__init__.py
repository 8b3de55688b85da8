"""Tests of the documentation: every README example works as written."""
