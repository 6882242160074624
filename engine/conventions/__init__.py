"""Conventions as data: rules files, their parameters, and the scenario loader (YAML read with its lines)."""
