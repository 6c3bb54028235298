# Golden values for tests/compositional/test_compositional_shrinkage.py.
#
# Reproduces propr's `pcor.bshrink` (corpcor::cov.shrink on log proportions, then cor2pcor of the clr / alr
# projection) on the bundled Roman glass cups data (47 cups x 11 oxides; causalkit/datasets/data/roman_cups.csv).
# Run from the repository root:
#   Rscript tests/compositional/corpcor_lambda.R
# Produced with R 4.2.2 and corpcor 1.6.10 (Debian r-cran-corpcor). It prints lambda and lambda.var and writes
# tests/compositional/corpcor_bshrink_roman_cups.csv (the clr partial correlation matrix) and
# tests/compositional/corpcor_bshrink_roman_cups_first8.csv (the same for the first 8 cups, n < D).
suppressPackageStartupMessages(library(corpcor))
cat("corpcor", as.character(packageVersion("corpcor")), "\n")
x <- read.csv("causalkit/datasets/data/roman_cups.csv", row.names = 1)
counts <- as.matrix(x)
P <- counts / rowSums(counts)
B <- log(P)
D <- ncol(B)
Cb <- cov.shrink(B, verbose = FALSE)
lam <- attr(Cb, "lambda")
lamvar <- attr(Cb, "lambda.var")
cat(sprintf("lambda = %.17g\n", lam))
cat(sprintf("lambda.var = %.17g\n", lamvar))
G <- diag(rep(1, D)) - matrix(1 / D, D, D)
PCclr <- cor2pcor(G %*% Cb %*% G)
Fm <- cbind(diag(rep(1, D - 1)), rep(-1, D - 1))
PCalr <- cor2pcor(Fm %*% Cb %*% t(Fm))
cat(sprintf("max |clr - alr| on shared indices = %.3g\n", max(abs(PCclr[1:(D - 1), 1:(D - 1)] - PCalr))))
colnames(PCclr) <- colnames(B)
rownames(PCclr) <- colnames(B)
write.csv(format(PCclr, digits = 17), "tests/compositional/corpcor_bshrink_roman_cups.csv", quote = FALSE)
# A second case with n < D: the first 8 cups only.
Bs <- B[1:8, ]
Cs <- cov.shrink(Bs, verbose = FALSE)
cat(sprintf("small: lambda = %.17g\n", attr(Cs, "lambda")))
cat(sprintf("small: lambda.var = %.17g\n", attr(Cs, "lambda.var")))
G8 <- diag(rep(1, D)) - matrix(1 / D, D, D)
PCs <- cor2pcor(G8 %*% Cs %*% G8)
colnames(PCs) <- colnames(B)
rownames(PCs) <- colnames(B)
write.csv(format(PCs, digits = 17), "tests/compositional/corpcor_bshrink_roman_cups_first8.csv", quote = FALSE)
