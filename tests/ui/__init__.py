"""Tests of genart/ui."""
