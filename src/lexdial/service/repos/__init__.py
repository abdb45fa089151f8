"""Repository Protocols, one module per area; ``service.storage`` gathers them."""
