"""Tests of genart/dream."""
