"""Dense SNP panels: panel and VCF reading, the exact multipoint LR (Lander–Green) and relationship
inference without a pedigree (KING-robust kinship, IBD segments, degree)."""
