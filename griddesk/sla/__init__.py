"""SLA: the effective working-day calendar (official data + administrator
overrides + confirmed years), deadline look-ups and deadline recomputation."""
