"""What the ``03_personas`` notebook shows: features, RFM segments, value, personas and tags."""
