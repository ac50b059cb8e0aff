"""Analysis and rendering on a Dask `distributed` cluster of the user's own machines, while
the catalog, grouping and planning stay on the machine that holds the library.

- `paths`: where a worker finds a photo (`--path-map`).
- `security`: the cluster's certificate, and which addresses a coordinator may use.
- `work`: what runs on a worker (its identity, a batch of analysis, one memory's render).
- `session`: the coordinator's side: connecting, checking workers, sending batches.
"""
