# Reference values for the criterion-validity statistics of `dfid instrument validate`
# (Dfid.Analysis.Statistics.OutcomeContrast and ProbabilityScores), computed independently of the C# code with base R.
# Regenerate: cd tests/Dfid.Tests/Fixtures/instrument && Rscript criterion_reference.R
# (R 4.2.2, base packages only; writes criterion_*.csv beside this script.)
options(digits = 17)
f17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
set.seed(20261204)

## Outcome contrast: depths 0..4 of non-converters (a) and converters (b), with many ties, including
## an empty resisting cell and a lopsided case.
cases <- list(
  list(a = sample(0:4, 40, TRUE, c(.25, .25, .25, .15, .10)), b = sample(0:4, 37, TRUE, c(.08, .22, .30, .20, .20))),
  list(a = sample(0:4, 120, TRUE, c(.15, .30, .30, .10, .15)), b = sample(0:4, 125, TRUE, c(.07, .30, .35, .08, .20))),
  list(a = c(1, 2, 2, 3, 4, 1), b = c(2, 3, 4, 4, 1)),                      # nobody resists
  list(a = c(0, 0, 0, 1), b = c(4, 4, 3, 2, 0, 1, 2)),
  list(a = sample(0:4, 81, TRUE), b = sample(0:4, 81, TRUE)))
depths <- do.call(rbind, lapply(seq_along(cases), function(i)
  rbind(data.frame(case = i, group = "a", depth = cases[[i]]$a), data.frame(case = i, group = "b", depth = cases[[i]]$b))))
write.table(depths, "criterion_depths.csv", sep = ",", row.names = FALSE, quote = FALSE)
contrast <- do.call(rbind, lapply(seq_along(cases), function(i) {
  a <- cases[[i]]$a; b <- cases[[i]]$b
  tab <- matrix(c(sum(a == 0), sum(a != 0), sum(b == 0), sum(b != 0)), nrow = 2, byrow = TRUE)
  # AUC of b against a: the Mann-Whitney statistic of b over n_a * n_b (ties count one half).
  w <- suppressWarnings(wilcox.test(b, a, exact = FALSE)$statistic)
  data.frame(case = i, n_a = length(a), n_b = length(b), share_a = f17(mean(a == 0)), share_b = f17(mean(b == 0)),
             diff = f17(mean(a == 0) - mean(b == 0)), fisher_p = f17(fisher.test(tab)$p.value),
             mean_a = f17(mean(a)), mean_b = f17(mean(b)), auc = f17(unname(w) / (length(a) * length(b))))
}))
write.table(contrast, "criterion_contrast.csv", sep = ",", row.names = FALSE, quote = FALSE)

## Probability scores: 5-class probability rows (normalised gamma draws, some sharpened) and labels.
n <- 300
g <- matrix(rgamma(n * 5, shape = 0.6), ncol = 5)
g[1:100, ] <- g[1:100, ]^3
p <- g / rowSums(g)
y <- apply(p, 1, function(r) sample(0:4, 1, prob = 0.7 * r + 0.3 / 5))
rows <- data.frame(label = y, p0 = f17(p[, 1]), p1 = f17(p[, 2]), p2 = f17(p[, 3]), p3 = f17(p[, 4]), p4 = f17(p[, 5]))
write.table(rows, "criterion_probabilities.csv", sep = ",", row.names = FALSE, quote = FALSE)
brier <- mean(rowSums((p - outer(y, 0:4, "==") * 1)^2))
ece <- function(bins) {
  top <- apply(p, 1, which.max)                        # first maximum, 1-based
  conf <- p[cbind(seq_len(n), top)]
  bin <- pmin(pmax(ceiling(conf * bins) - 1, 0), bins - 1)
  hit <- (top - 1) == y
  sum(sapply(0:(bins - 1), function(b) {
    k <- bin == b
    if (!any(k)) 0 else sum(k) / n * abs(mean(hit[k]) - mean(conf[k]))
  }))
}
write.table(data.frame(brier = f17(brier), ece10 = f17(ece(10)), ece5 = f17(ece(5))),
            "criterion_scores.csv", sep = ",", row.names = FALSE, quote = FALSE)
