# Independent reference values for Dfid.Analysis.Agreement (run: Rscript agreement_reference.R, in this folder).
# Written from the textbook definitions, deliberately in another form than the C# code:
#  - weighted kappa as (p_o - p_e) / (1 - p_e) with agreement weights 1 - (i-j)^2/(k-1)^2;
#  - Krippendorff's alpha (ordinal) as 1 - D_o/D_e from pairwise distances over all pairable values.
# Outputs: agreement_data.csv (group, reference, predicted), agreement_resamples.csv (one bootstrap resample of
# 0-based group indices per line), agreement_reference.csv (statistic, value).
set.seed(20261126)
K <- 5
G <- 40
rows <- list()
for (g in seq_len(G)) {
  m <- sample(1:9, 1)
  ref <- sample(0:(K - 1), m, replace = TRUE, prob = c(0.12, 0.25, 0.35, 0.18, 0.10))
  noise <- sample(c(-2, -1, 0, 0, 0, 0, 1, 1, 2), m, replace = TRUE)
  pred <- pmin(K - 1, pmax(0, ref + noise))
  rows[[g]] <- data.frame(group = g - 1, reference = ref, predicted = pred)
}
d <- do.call(rbind, rows)
write.csv(d, "agreement_data.csv", row.names = FALSE)

kappa_quadratic <- function(a, b) {
  O <- table(factor(a, levels = 0:(K - 1)), factor(b, levels = 0:(K - 1))) / length(a)
  W <- outer(0:(K - 1), 0:(K - 1), function(i, j) 1 - (i - j)^2 / (K - 1)^2)
  E <- outer(rowSums(O), colSums(O))
  po <- sum(W * O); pe <- sum(W * E)
  (po - pe) / (1 - pe)
}

alpha_ordinal <- function(a, b) {
  values <- c(a, b)                      # all pairable values (2 coders, no missing)
  n <- length(values)
  ng <- tabulate(values + 1, nbins = K)  # marginal counts of each category
  delta2 <- function(c, k) {
    lo <- min(c, k); hi <- max(c, k)
    if (lo == hi) return(0)
    (sum(ng[(lo:hi) + 1]) - (ng[lo + 1] + ng[hi + 1]) / 2)^2
  }
  D <- outer(0:(K - 1), 0:(K - 1), Vectorize(delta2))
  # observed: within each unit both ordered pairs, weight 1/(m_u - 1) = 1
  Do <- sum(2 * D[cbind(a + 1, b + 1)]) / n
  # expected: all ordered pairs of distinct pairable values
  De <- 0
  for (i in seq_len(n)) De <- De + sum(D[values[i] + 1, values[-i] + 1])
  De <- De / (n * (n - 1))
  1 - Do / De
}

acc <- mean(d$reference == d$predicted)
kap <- kappa_quadratic(d$reference, d$predicted)
alp <- alpha_ordinal(d$reference, d$predicted)

B <- 500
res <- matrix(0L, nrow = B, ncol = G)
kb <- numeric(B); ab <- numeric(B)
for (b in seq_len(B)) {
  draw <- sample(0:(G - 1), G, replace = TRUE)
  res[b, ] <- draw
  sub <- do.call(rbind, lapply(draw, function(g) d[d$group == g, ]))
  kb[b] <- kappa_quadratic(sub$reference, sub$predicted)
  ab[b] <- alpha_ordinal(sub$reference, sub$predicted)
}
write.table(res, "agreement_resamples.csv", sep = ",", row.names = FALSE, col.names = FALSE)

cm <- table(factor(d$reference, levels = 0:(K - 1)), factor(d$predicted, levels = 0:(K - 1)))
prec <- diag(cm) / colSums(cm)
rec <- diag(cm) / rowSums(cm)
out <- data.frame(
  statistic = c("n", "accuracy", "kappa_quadratic", "alpha_ordinal",
                "kappa_ci_lower", "kappa_ci_upper", "alpha_ci_lower", "alpha_ci_upper",
                "majority_class",
                paste0("confusion_", rep(0:(K - 1), each = K), "_", rep(0:(K - 1), times = K)),
                paste0("precision_", 0:(K - 1)), paste0("recall_", 0:(K - 1))),
  value = c(nrow(d), acc, kap, alp,
            quantile(kb, 0.025, type = 7), quantile(kb, 0.975, type = 7),
            quantile(ab, 0.025, type = 7), quantile(ab, 0.975, type = 7),
            which.max(tabulate(d$reference + 1, nbins = K)) - 1,
            as.vector(t(cm)), prec, rec))
write.csv(format(out, digits = 17), "agreement_reference.csv", row.names = FALSE, quote = FALSE)
print(out[1:9, ])
