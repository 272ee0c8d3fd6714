"""LGPD: the consent documents and decisions, the data requests, the export and the anonymisation
of a person across every area (above the areas it reaches)."""
