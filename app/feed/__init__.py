"""The change feed, below the areas that write to it and app.sync that reads it."""
