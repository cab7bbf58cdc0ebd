"""Tests of genart/precision."""
