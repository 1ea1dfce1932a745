"""vestige.osteology — pure computations on skeletal and dental remains (standard library and numpy
only, nothing from Django or the rest of Vestige): dental charts and their AM/PM comparison
(``odontology``), osteometric pair-matching of left and right elements (``pairmatch``)."""
