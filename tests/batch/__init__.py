"""Tests of genart/batch."""
