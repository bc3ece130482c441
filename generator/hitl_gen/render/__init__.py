"""Model -> render plan: every output file as (relative path, bytes), in memory."""
