# Reference distributions for Dfid.Tests.Analysis.ExactDrawsTests, computed independently of the C# code with base R.
# Regenerate: cd tests/Dfid.Tests/Fixtures/analysis && Rscript exact_draws.R
# (base R only; writes exact_draws_pmf.csv and exact_draws_lfact.csv beside this script.)
options(digits = 17)
f17 <- function(x) sprintf("%.17g", x)

# Binomial(n, p) and hypergeometric(N = population, K = successes, n = draws) cases: small, skewed, large n.
binom <- data.frame(name = c("b1", "b2", "b3", "b4", "b5"),
                    n = c(10, 1000, 50000, 100000, 7),
                    p = c(0.3, 0.01, 0.4, 1e-4, 0.95))
hyper <- data.frame(name = c("h1", "h2", "h3", "h4", "h5"),
                    N = c(20, 1000, 100000, 100000, 30),
                    K = c(7, 30, 28400, 5, 29),
                    n = c(5, 500, 28400, 40000, 10))
rows <- list()
for (i in seq_len(nrow(binom))) {
  b <- binom[i, ]
  x <- 0:b$n
  d <- dbinom(x, b$n, b$p)
  keep <- d > 1e-12
  rows[[length(rows) + 1]] <- data.frame(name = b$name, kind = "binomial", a = b$n, b = f17(b$p), c = 0, x = x[keep], pmf = f17(d[keep]))
}
for (i in seq_len(nrow(hyper))) {
  h <- hyper[i, ]
  x <- max(0, h$n - (h$N - h$K)):min(h$n, h$K)
  d <- dhyper(x, h$K, h$N - h$K, h$n)
  keep <- d > 1e-12
  rows[[length(rows) + 1]] <- data.frame(name = h$name, kind = "hypergeometric", a = h$N, b = h$K, c = h$n, x = x[keep], pmf = f17(d[keep]))
}
write.table(do.call(rbind, rows), "exact_draws_pmf.csv", sep = ",", row.names = FALSE, quote = FALSE)

n <- c(0, 1, 2, 10, 100, 1023, 1024, 1025, 5000, 100000, 12345678)
write.table(data.frame(n = n, lfact = f17(lfactorial(n))), "exact_draws_lfact.csv", sep = ",", row.names = FALSE, quote = FALSE)

# Critical values of the chi-square goodness-of-fit statistic at 1e-6, for the test's binned degrees of freedom.
df <- 1:1000
write.table(data.frame(df = df, q = f17(qchisq(1 - 1e-6, df))), "exact_draws_chisq.csv", sep = ",", row.names = FALSE, quote = FALSE)
