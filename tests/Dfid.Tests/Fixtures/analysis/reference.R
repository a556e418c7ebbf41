# Reference values for Dfid.Tests.Analysis, computed independently of the C# code with base R.
# Regenerate: cd tests/Dfid.Tests/Fixtures/analysis && Rscript reference.R
# (R 4.2.2, base packages only; writes the *.csv files beside this script.)
options(digits = 17)
f17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

## Fisher exact, two-sided (R's convention: sum of P <= P(observed) * (1 + 1e-7)).
tables <- rbind(
  c(3, 1, 1, 3), c(10, 2, 3, 15), c(0, 5, 5, 0), c(7, 7, 7, 7), c(1, 0, 0, 0),
  c(45, 55, 75, 25), c(120, 280, 160, 240), c(2, 98, 9, 91), c(0, 0, 4, 6),
  c(12, 30, 40, 13), c(300, 500, 250, 550), c(5, 200, 17, 188), c(57, 96, 115, 38))
fisher <- t(apply(tables, 1, function(r) {
  m <- matrix(r, nrow = 2, byrow = TRUE)  # [[a, b], [c, d]]
  c(r, fisher.test(m)$p.value)
}))
write.table(data.frame(a = fisher[, 1], b = fisher[, 2], c = fisher[, 3], d = fisher[, 4], p = f17(fisher[, 5])),
            "fisher.csv", sep = ",", row.names = FALSE, quote = FALSE)

## McNemar: exact (binom.test on discordant pairs) and chi-square with continuity correction (mcnemar.test).
disc <- rbind(c(0, 0), c(1, 0), c(3, 9), c(10, 10), c(25, 12), c(0, 14), c(40, 61), c(150, 190), c(7, 2), c(1, 1))
mcn <- t(apply(disc, 1, function(r) {
  b <- r[1]; c <- r[2]
  exact <- if (b + c == 0) 1 else binom.test(b, b + c, 0.5)$p.value
  # mcnemar.test needs a 2x2 table; concordant cells do not enter the statistic.
  chisq <- if (b + c == 0) NA else mcnemar.test(matrix(c(5, c, b, 5), nrow = 2))$p.value
  c(b, c, exact, chisq)
}))
write.table(data.frame(b = mcn[, 1], c = mcn[, 2], exact = f17(mcn[, 3]), chisq = f17(mcn[, 4])),
            "mcnemar.csv", sep = ",", row.names = FALSE, quote = FALSE)

## p.adjust Holm and BH on several families (with ties and p = 1).
fams <- list(
  c(0.01, 0.04, 0.03, 0.2, 0.5),
  c(0.0002, 0.002, 0.015, 0.008),
  c(0.05, 0.05, 0.05, 0.01, 1),
  c(0.9),
  c(1e-10, 0.3, 0.04, 0.04, 0.7, 0.0049, 0.02, 0.6))
rows <- do.call(rbind, lapply(seq_along(fams), function(i) {
  p <- fams[[i]]
  data.frame(family = i, p = f17(p), holm = f17(p.adjust(p, "holm")), bh = f17(p.adjust(p, "BH")))
}))
write.table(rows, "padjust.csv", sep = ",", row.names = FALSE, quote = FALSE)

## Group data for Cohen's d, bootstrap and permutation (per-conversation D-bar-like values, ties included).
set.seed(20260601)
ga <- round(rnorm(41, 0.40, 0.9) * 3) / 3   # "not converted"
gb <- round(rnorm(37, 0.10, 0.9) * 3) / 3   # "converted"
small_a <- c(1, 2/3, 0, 1, 1/3, 2)          # exact-enumeration fixture: choose(13, 6) = 1716 labelings
small_b <- c(0, -1/3, 1/3, 0, 1, -1, 1/3)
small2_a <- c(0, 1/3, -1, 0.5, 0)           # a weak contrast (p near 0.4)
small2_b <- c(0, 0, 1/3, -0.5, 0.5, -1/3, 0, 1/3)
groups <- rbind(
  data.frame(set = "main", group = "a", value = f17(ga)), data.frame(set = "main", group = "b", value = f17(gb)),
  data.frame(set = "small", group = "a", value = f17(small_a)), data.frame(set = "small", group = "b", value = f17(small_b)),
  data.frame(set = "small2", group = "a", value = f17(small2_a)), data.frame(set = "small2", group = "b", value = f17(small2_b)))
write.table(groups, "groups.csv", sep = ",", row.names = FALSE, quote = FALSE)

## Cohen's d with the pooled SD (n1 + n2 - 2 denominator), written out from the definition.
cohen <- function(a, b) {
  sp <- sqrt(((length(a) - 1) * var(a) + (length(b) - 1) * var(b)) / (length(a) + length(b) - 2))
  (mean(a) - mean(b)) / sp
}
write.table(data.frame(set = c("main", "small", "small2"),
                       d = f17(c(cohen(ga, gb), cohen(small_a, small_b), cohen(small2_a, small2_b))),
                       delta = f17(c(mean(ga) - mean(gb), mean(small_a) - mean(small_b), mean(small2_a) - mean(small2_b)))),
            "cohens_d.csv", sep = ",", row.names = FALSE, quote = FALSE)

## Exact permutation p by enumerating every relabelling: share with contrast >= observed (ties included).
exact_perm <- function(a, b) {
  x <- c(a, b); n <- length(x); na <- length(a)
  obs <- mean(a) - mean(b)
  idx <- combn(n, na)
  contrasts <- apply(idx, 2, function(i) mean(x[i]) - mean(x[-i]))
  c(obs, mean(contrasts >= obs - 1e-12), ncol(idx))
}
ep <- rbind(exact_perm(small_a, small_b), exact_perm(small2_a, small2_b))
write.table(data.frame(set = c("small", "small2"), observed = f17(ep[, 1]), p_exact = f17(ep[, 2]), labelings = ep[, 3]),
            "permutation_exact.csv", sep = ",", row.names = FALSE, quote = FALSE)

## Percentile bootstrap within strata (B = 200000): means, difference, d; plus bootstrap SDs for the tolerance.
B <- 200000
set.seed(7)
reps <- t(replicate(B, {
  a <- sample(ga, replace = TRUE); b <- sample(gb, replace = TRUE)
  c(mean(a), mean(b), mean(a) - mean(b), cohen(a, b))
}))
q <- function(x) quantile(x, c(0.025, 0.975), type = 7, names = FALSE)
boot <- data.frame(
  stat = c("mean_a", "mean_b", "delta", "d"),
  ci_low = f17(c(q(reps[, 1])[1], q(reps[, 2])[1], q(reps[, 3])[1], q(reps[, 4])[1])),
  ci_high = f17(c(q(reps[, 1])[2], q(reps[, 2])[2], q(reps[, 3])[2], q(reps[, 4])[2])),
  sd = f17(apply(reps, 2, sd)))
write.table(boot, "bootstrap.csv", sep = ",", row.names = FALSE, quote = FALSE)

## Prediction-powered mean: mean(f on all) - mean(f - h on labelled).
f_all <- c(2, 3, 1, 0, 4, 2, 2, 3, 1, 1, 3, 2)
lab <- c(1, 4, 6, 9, 12)                     # labelled units (1-based)
h_lab <- c(1, 0, 2, 1, 2)
ppi <- mean(f_all) - mean(f_all[lab] - h_lab)
write.table(data.frame(quantity = c("ppi_mean", "naive_mean"), value = f17(c(ppi, mean(f_all)))),
            "ppi.csv", sep = ",", row.names = FALSE, quote = FALSE)

## Joint permutation with eligibility: two endpoints over the same 13 units; the second is NaN (not eligible) for
## some units. Every relabelling (6 of 13 units to group a) is enumerated; each endpoint's contrast uses its eligible
## units only; a relabelling leaving a group without eligible units counts as at least as extreme.
second_a <- c(NA, 1, 0, NA, 1/3, 2)
second_b <- c(0, NA, 1/3, 0, NA, -1, 1/3)
joint_exact <- function(a, b) {
  x <- c(a, b); n <- length(x); na <- length(a)
  contrast <- function(ia) {
    ga <- x[ia]; gb <- x[-ia]; ga <- ga[!is.na(ga)]; gb <- gb[!is.na(gb)]
    if (length(ga) == 0 || length(gb) == 0) return(Inf)
    mean(ga) - mean(gb)
  }
  obs <- contrast(1:na)
  idx <- combn(n, na)
  cs <- apply(idx, 2, contrast)
  c(obs, mean(cs >= obs - 1e-9))
}
j1 <- joint_exact(small_a, small_b)
j2 <- joint_exact(second_a, second_b)
write.table(data.frame(endpoint = c(1, 2), observed = f17(c(j1[1], j2[1])), p_exact = f17(c(j1[2], j2[2]))),
            "joint_permutation_exact.csv", sep = ",", row.names = FALSE, quote = FALSE)
groups2 <- rbind(data.frame(set = "second", group = "a", value = ifelse(is.na(second_a), "NA", f17(second_a))),
                 data.frame(set = "second", group = "b", value = ifelse(is.na(second_b), "NA", f17(second_b))))
write.table(groups2, "groups_second.csv", sep = ",", row.names = FALSE, quote = FALSE)
