"""Forms as data: definitions, expressions, validation and the generic runner."""
