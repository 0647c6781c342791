"""Data layer: models, engine and unit of work, migrations."""
