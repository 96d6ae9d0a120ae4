"""Generate numba kernels from the derived formulas (see README.md in this folder).

``symprop.codegen.generate.generate(network)`` gives a module's text,
``symprop.codegen.cache.load(network)`` the imported module, and ``network.compile()`` the
`symprop.runtime.kernels.Kernels` around it. Nothing is imported here: a cache hit should not
pay for jinja2.
"""
