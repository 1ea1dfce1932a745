"""vestige.osteology — pure computations on bones (standard library and numpy only, nothing from
Django or the rest of Vestige): osteometric pair-matching of left and right elements."""
