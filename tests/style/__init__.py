"""Tests of genart/style."""
