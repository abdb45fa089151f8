"""SQL repositories, one module per area, bound to one connection (transaction)."""
