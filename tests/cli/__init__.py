"""Tests of genart/cli."""
