"""Tests of genart/compute."""
