"""The bottom floor: helpers with no models that import no app (DESIGN section 2)."""
