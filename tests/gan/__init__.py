"""Tests of genart/gan."""
