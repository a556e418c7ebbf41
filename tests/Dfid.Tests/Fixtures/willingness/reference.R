# Reference values for BinaryPrediction (issue 15: willingness validate), computed independently of dfid.
# Run from this folder: Rscript reference.R   (writes auc_brier.csv and calibration.csv)
d <- read.csv("predictions.csv")
auc_pairs <- function(s, y) {
  s1 <- s[y == 1]; s0 <- s[y == 0]
  # every (positive, negative) pair: 1 when the positive scores higher, 1/2 on a tie
  cmp <- outer(s1, s0, function(a, b) (a > b) + 0.5 * (a == b))
  mean(cmp)
}
auc_wilcox <- function(s, y) unname(wilcox.test(s[y == 1], s[y == 0], exact = FALSE)$statistic) / (sum(y == 1) * sum(y == 0))
stopifnot(abs(auc_pairs(d$p_model, d$y) - auc_wilcox(d$p_model, d$y)) < 1e-12)
out <- data.frame(
  score = c("model", "baseline"),
  auc = c(auc_pairs(d$p_model, d$y), auc_pairs(d$p_baseline, d$y)),
  brier = c(mean((d$p_model - d$y)^2), mean((d$p_baseline - d$y)^2)))
write.csv(out, "auc_brier.csv", row.names = FALSE, quote = FALSE)
# Calibration: 10 equal-width bins on [0, 1], right-closed, the first also holding 0; empty bins left out.
bin <- pmax(ceiling(d$p_model * 10 - 1e-12), 1)
cal <- do.call(rbind, lapply(sort(unique(bin)), function(b) {
  i <- bin == b
  data.frame(low = (b - 1) / 10, high = b / 10, n = sum(i), mean_predicted = mean(d$p_model[i]), observed = mean(d$y[i]))
}))
write.csv(cal, "calibration.csv", row.names = FALSE, quote = FALSE)
