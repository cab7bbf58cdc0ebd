"""Tests of genart/fast_style."""
