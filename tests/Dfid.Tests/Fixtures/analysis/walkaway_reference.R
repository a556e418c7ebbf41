# Reference values for Dfid.Tests.Analysis.WalkAwayReferenceTests, computed independently of the C# code with R's
# `survival` package and base R.
# Regenerate: cd tests/Dfid.Tests/Fixtures/analysis && Rscript walkaway_reference.R
# (R 4.2.2, survival 3.5-3 from Debian's r-cran-survival; writes the walkaway_*.csv files beside this script.)
#
# Inputs written here (a synthetic run; no corpus text):
#   walkaway_exit_rows.csv     exit probes: one row per probe where the exit channel was offered
#   walkaway_rollout_rows.csv  rollouts: one row per (conversation, sample); stages as "2;NA;3" (0 = resisting ... 4 = deciding)
#   walkaway_twin_rows.csv     the teacher-forced probe rows of the twin condition (same simulator and instrument)
# Results:
#   walkaway_values.csv     deterministic statistics (counts, rates, McNemar, log-rank, D-bar contrasts): part,stratum,statistic,value
#   walkaway_km.csv         Kaplan-Meier curves per stratum and side (survfit, Greenwood, conf.type "log", 0.95)
#   walkaway_bootstrap.csv  percentile-bootstrap quantiles (conversations resampled within strata, B = 40000) at
#                           0.015/0.025/0.035 and 0.965/0.975/0.985: the C# interval bounds must fall within the band
#   walkaway_permutation.csv Monte Carlo permutation p (label shuffles across conversations, 200000 draws)
suppressPackageStartupMessages(library(survival))
options(digits = 17, warn = 1)
f17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_csv <- function(df, file) write.table(df, file, sep = ",", row.names = FALSE, quote = FALSE)
stage_str <- function(x) if (length(x) == 0) "" else paste(ifelse(is.na(x), "NA", x), collapse = ";")
parse_stages <- function(s) if (is.na(s) || s == "") integer(0) else suppressWarnings(as.integer(strsplit(s, ";")[[1]]))

set.seed(20260615)

## ---- exit probe rows ------------------------------------------------------------------------------------------
exit_rows <- list()
for (i in 1:70) {
  id <- sprintf("e%03d", i)
  conv <- as.integer(i %% 2 == 0)
  n_ord <- sample(1:3, 1)
  turns <- 2 * seq_len(n_ord)
  real_exit <- rep(0L, n_ord)
  p_sim <- rep(if (conv == 1) 0.05 else 0.12, n_ord)
  if (conv == 0 && runif(1) < 0.7) {  # a real exit point: one past the last turn
    turns <- c(turns, 2 * n_ord + 3); real_exit <- c(real_exit, 1L); p_sim <- c(p_sim, 0.35)
  }
  sim <- as.integer(runif(length(turns)) < p_sim)
  failed <- runif(length(turns)) < 0.06
  if (i == 7) failed[] <- TRUE                       # a conversation whose every simulation failed
  status <- ifelse(failed, "simulation-failed", "ok")
  sim[failed] <- NA
  exit_rows[[i]] <- data.frame(conversation = id, converted = conv, turn = turns,
                               position = ifelse(real_exit == 1, 1, c(0.3, 0.6, 0.9)[seq_along(turns)]),
                               real_exit = real_exit, sim_exit = ifelse(is.na(sim), "NA", sim), status = status)
}
ex <- do.call(rbind, exit_rows)
write_csv(ex, "walkaway_exit_rows.csv")
ex$sim_exit <- suppressWarnings(as.integer(ex$sim_exit))

## ---- rollout rows -------------------------------------------------------------------------------------------
cap <- 8; K <- 2
ro_rows <- list(); tw_rows <- list()
for (i in 1:60) {
  id <- sprintf("r%03d", i)
  conv <- as.integer(i %% 2 == 1)
  start <- sample(2:5, 1)
  real_turns <- 1 + rgeom(1, if (conv == 1) 0.12 else 0.2)
  real_exit <- as.integer(conv == 0 && runif(1) < 0.65)
  rs <- sample(0:4, min(real_turns, cap), replace = TRUE, prob = if (conv == 1) c(1, 2, 3, 3, 1) else c(3, 3, 2, 1, 1))
  rs[runif(length(rs)) < 0.08] <- NA
  for (s in 0:(K - 1)) {
    turns <- 0; end <- NA; ss <- integer(0)
    for (slot in 1:cap) {
      if (runif(1) < (if (conv == 1) 0.03 else 0.08)) { end <- "exit"; break }
      if (runif(1) < 0.02) { end <- "failed"; break }
      turns <- turns + 1
      st <- sample(0:4, 1, prob = c(1, 2, 3, 4, 2))
      if (runif(1) < 0.05) st <- NA
      ss <- c(ss, st)
      if (!is.na(st) && st == 4 && runif(1) < 0.5) { end <- "decision"; break }
      if (runif(1) < 0.03) { end <- "agent-ended"; break }
    }
    if (is.na(end)) end <- "cap"
    ro_rows[[length(ro_rows) + 1]] <- data.frame(conversation = id, converted = conv, sample = s, start_turn = 2 * start,
      cap = cap, user_turns = turns, end = end, sim_stages = stage_str(ss), real_user_turns = real_turns,
      real_exit = real_exit, real_stages = stage_str(rs))
  }
  if (i <= 50) {  # conversations 51..60 have no teacher-forced probe: outside the common set
    n <- sample(1:3, 1)
    real <- sample(0:4, n, replace = TRUE, prob = c(3, 3, 2, 1, 1))
    sim <- pmin(4, real + sample(0:2, n, replace = TRUE, prob = if (conv == 1) c(3, 1, 0.5) else c(1, 2, 1)))
    status <- ifelse(runif(n) < 0.1, "simulation-failed", "ok")
    tw_rows[[length(tw_rows) + 1]] <- data.frame(conversation = id, converted = conv, turn = 2 * seq_len(n),
      position = c(0.3, 0.6, 0.9)[seq_len(n)], real = real, sim = ifelse(status == "ok", sim, "NA"), status = status)
  }
}
ro <- do.call(rbind, ro_rows)
# Exits after the cap-th simulated turn (possible when the runner offers the exit once more at the cap): censored at
# the cap, like the real side. Two rollouts that reached the cap are turned into such exits.
at_cap <- which(ro$end == "cap")[1:2]
ro$end[at_cap] <- "exit"
write_csv(ro, "walkaway_rollout_rows.csv")
tw <- do.call(rbind, tw_rows)
write_csv(tw, "walkaway_twin_rows.csv")
tw$sim <- suppressWarnings(as.integer(tw$sim))

values <- list()
put <- function(part, stratum, statistic, value)
  values[[length(values) + 1]] <<- data.frame(part = part, stratum = stratum, statistic = statistic, value = f17(value))
strata <- c(not_converted = 0, converted = 1)

## ---- exits: counts, rates, base rates, McNemar ------------------------------------------------------------------
ex$usable <- ex$status == "ok" & !is.na(ex$sim_exit)
ex_conv <- do.call(rbind, lapply(split(ex, ex$conversation), function(d) data.frame(
  conversation = d$conversation[1], converted = d$converted[1],
  recall = if (any(d$usable & d$real_exit == 1)) mean(d$sim_exit[d$usable & d$real_exit == 1]) else NA,
  false_exit = if (any(d$usable & d$real_exit == 0)) mean(d$sim_exit[d$usable & d$real_exit == 0]) else NA,
  has_exit = any(d$real_exit == 1))))
for (sn in names(strata)) {
  d <- ex[ex$converted == strata[[sn]], ]; cv <- ex_conv[ex_conv$converted == strata[[sn]], ]
  b <- sum(d$usable & d$real_exit == 1 & d$sim_exit == 0); c <- sum(d$usable & d$real_exit == 0 & d$sim_exit == 1)
  put("exits", sn, "conversations", nrow(cv))
  put("exits", sn, "conversations_with_exit_point", sum(cv$has_exit))
  put("exits", sn, "exit_points", sum(d$real_exit == 1))
  put("exits", sn, "ordinary_probes", sum(d$real_exit == 0))
  put("exits", sn, "simulation_failed", sum(!d$usable))
  put("exits", sn, "sim_exits_at_exit_points", sum(d$usable & d$real_exit == 1 & d$sim_exit == 1))
  put("exits", sn, "sim_exits_at_ordinary_probes", c)
  put("exits", sn, "recall", if (all(is.na(cv$recall))) NA else mean(cv$recall, na.rm = TRUE))
  put("exits", sn, "recall_n", sum(!is.na(cv$recall)))
  put("exits", sn, "false_exits", mean(cv$false_exit, na.rm = TRUE))
  put("exits", sn, "false_exits_n", sum(!is.na(cv$false_exit)))
  put("exits", sn, "real_exit_point_share", mean(d$real_exit == 1))
  put("exits", sn, "real_exit_conversation_share", mean(cv$has_exit))
  put("exits", sn, "real_only", b)
  put("exits", sn, "sim_only", c)
  put("exits", sn, "mcnemar_p", if (b + c == 0) 1 else binom.test(b, b + c, 0.5)$p.value)
  put("exits", sn, "mcnemar_chi_square_p", if (b + c == 0) NA else mcnemar.test(matrix(c(5, c, b, 5), nrow = 2))$p.value)
}

## ---- rollouts: the censoring scheme, written out independently -------------------------------------------------
ro$sim_time <- pmin(ro$user_turns, ro$cap)
ro$sim_event <- as.integer(ro$end == "exit" & ro$user_turns < ro$cap)
real <- ro[ro$sample == 0, ]
real$time <- pmin(real$real_user_turns, real$cap)
real$event <- as.integer(real$real_exit == 1 & real$real_user_turns < real$cap)
surv_data <- rbind(
  data.frame(time = real$time, event = real$event, side = 0, stratum = real$converted),
  data.frame(time = ro$sim_time, event = ro$sim_event, side = 1, stratum = ro$converted))

km_rows <- list()
for (sn in names(strata)) for (side in 0:1) {
  dd <- surv_data[surv_data$stratum == strata[[sn]] & surv_data$side == side, ]
  fit <- survfit(Surv(time, event) ~ 1, data = dd, conf.type = "log", conf.int = 0.95)
  sm <- summary(fit, censored = TRUE)
  km_rows[[length(km_rows) + 1]] <- data.frame(stratum = sn, side = c("real", "sim")[side + 1], time = fit$time,
    n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor, surv = f17(fit$surv),
    std_err = f17(sm$std.err), lower = f17(fit$lower), upper = f17(fit$upper))
  put("km", sn, paste0(c("real", "sim")[side + 1], "_subjects"), nrow(dd))
  put("km", sn, paste0(c("real", "sim")[side + 1], "_events"), sum(dd$event))
}
write_csv(do.call(rbind, km_rows), "walkaway_km.csv")
for (sn in names(strata))
  put("logrank", sn, "p", survdiff(Surv(time, event) ~ side, data = surv_data[surv_data$stratum == strata[[sn]], ])$pvalue)
put("logrank", "all", "stratified_p", survdiff(Surv(time, event) ~ side + strata(stratum), data = surv_data)$pvalue)

## ---- per-conversation columns: walk-away, conversion, D-bar ----------------------------------------------------------
dbar_rollout <- function(r) {
  s <- parse_stages(r$sim_stages); q <- parse_stages(r$real_stages)
  n <- min(length(s), length(q)); if (n == 0) return(c(NA, 0))
  ok <- !is.na(s[1:n]) & !is.na(q[1:n])
  if (!any(ok)) return(c(NA, 0))
  c(mean(s[1:n][ok] - q[1:n][ok]), sum(ok))
}
ro_conv <- do.call(rbind, lapply(split(ro, ro$conversation), function(d) {
  db <- t(sapply(seq_len(nrow(d)), function(j) dbar_rollout(d[j, ])))
  first <- d[d$sample == 0, ]
  data.frame(conversation = d$conversation[1], converted = d$converted[1],
    rollout = if (all(is.na(db[, 1]))) NA else mean(db[, 1], na.rm = TRUE), matched = sum(db[, 2]),
    real_walk = as.integer(first$real_exit == 1 & first$real_user_turns < first$cap),
    sim_walk = mean(d$end == "exit" & d$user_turns < d$cap),
    real_conv = as.integer(first$converted == 1 & first$real_user_turns < first$cap),
    sim_conv = mean(d$end == "decision"),
    rollouts = nrow(d), exits = sum(d$end == "exit"), decisions = sum(d$end == "decision"), caps = sum(d$end == "cap"),
    agent_ended = sum(d$end == "agent-ended"), failed = sum(d$end == "failed"), exits_at_cap = sum(d$end == "exit" & d$user_turns >= d$cap))
}))
tw_ok <- tw[tw$status == "ok" & !is.na(tw$sim), ]
tf <- aggregate(cbind(d = sim - real) ~ conversation, data = tw_ok, FUN = mean)
tf_n <- aggregate(cbind(n = sim - real) ~ conversation, data = tw_ok, FUN = length)
ro_conv$tf <- tf$d[match(ro_conv$conversation, tf$conversation)]
ro_conv$tf_n <- tf_n$n[match(ro_conv$conversation, tf_n$conversation)]
ro_conv$common <- !is.na(ro_conv$rollout) & !is.na(ro_conv$tf)
ro_conv$rollout_common <- ifelse(ro_conv$common, ro_conv$rollout, NA)
ro_conv$tf_common <- ifelse(ro_conv$common, ro_conv$tf, NA)
ro_conv$diff_common <- ro_conv$rollout_common - ro_conv$tf_common
ro_conv$walk_diff <- ro_conv$sim_walk - ro_conv$real_walk
ro_conv$conv_diff <- ro_conv$sim_conv - ro_conv$real_conv

for (sn in names(strata)) {
  cv <- ro_conv[ro_conv$converted == strata[[sn]], ]
  put("rollouts", sn, "conversations", nrow(cv))
  for (col in c("rollouts", "exits", "decisions", "caps", "agent_ended", "failed", "exits_at_cap", "matched"))
    put("rollouts", sn, col, sum(cv[[col]]))
  put("rollouts", sn, "real_exits", sum(cv$real_walk))
  put("rollouts", sn, "sim_exits", sum(ro$sim_event[ro$converted == strata[[sn]]]))
  for (col in c("real_walk", "sim_walk", "walk_diff", "real_conv", "sim_conv", "conv_diff", "rollout"))
    put("rollouts", sn, col, mean(cv[[col]], na.rm = TRUE))
  put("rollouts", sn, "rollout_n", sum(!is.na(cv$rollout)))
  put("rollouts", sn, "common_n", sum(cv$common))
}
for (col in c("real_conv", "sim_conv")) put("rollouts", "all", col, mean(ro_conv[[col]]))
cohen <- function(a, b) {
  sp <- sqrt(((length(a) - 1) * var(a) + (length(b) - 1) * var(b)) / (length(a) + length(b) - 2))
  (mean(a) - mean(b)) / sp
}
contrast <- function(col) {
  a <- ro_conv[[col]][ro_conv$converted == 0]; b <- ro_conv[[col]][ro_conv$converted == 1]
  a <- a[!is.na(a)]; b <- b[!is.na(b)]
  c(mean(a) - mean(b), cohen(a, b))
}
for (col in c("rollout", "rollout_common", "tf_common", "diff_common")) {
  v <- contrast(col)
  put("delta", "all", paste0(col, "_delta"), v[1])
  put("delta", "all", paste0(col, "_d"), v[2])
}
put("delta", "all", "matched_all", sum(ro_conv$matched))
put("delta", "all", "matched_common", sum(ro_conv$matched[ro_conv$common]))
put("delta", "all", "tf_probes_common", sum(ro_conv$tf_n[ro_conv$common]))
write_csv(do.call(rbind, values), "walkaway_values.csv")

## ---- bootstrap: conversations resampled within strata; each statistic is the mean over the eligible ones ---------
B <- 40000
qs <- c(0.015, 0.025, 0.035, 0.965, 0.975, 0.985)
boot_rows <- list()
eligible_mean <- function(x, idx) {  # idx: B x n matrix of resampled unit indices
  v <- matrix(x[idx], nrow = nrow(idx))
  rowSums(v, na.rm = TRUE) / rowSums(!is.na(v))
}
band <- function(part, stratum, statistic, reps) {
  q <- quantile(reps[is.finite(reps)], qs, type = 7, names = FALSE)
  boot_rows[[length(boot_rows) + 1]] <<- data.frame(part = part, stratum = stratum, statistic = statistic,
    q015 = f17(q[1]), q025 = f17(q[2]), q035 = f17(q[3]), q965 = f17(q[4]), q975 = f17(q[5]), q985 = f17(q[6]))
}
draw <- function(n) matrix(sample.int(n, n * B, replace = TRUE), nrow = B)
set.seed(11)
for (sn in names(strata)) {
  cv <- ex_conv[ex_conv$converted == strata[[sn]], ]
  idx <- draw(nrow(cv))
  if (any(!is.na(cv$recall))) band("exits", sn, "recall", eligible_mean(cv$recall, idx))
  band("exits", sn, "false_exits", eligible_mean(cv$false_exit, idx))
}
idx0 <- draw(sum(ro_conv$converted == 0)); idx1 <- draw(sum(ro_conv$converted == 1))
a_conv <- ro_conv[ro_conv$converted == 0, ]; b_conv <- ro_conv[ro_conv$converted == 1, ]
for (col in c("real_walk", "sim_walk", "walk_diff", "real_conv", "sim_conv", "conv_diff")) {
  band("rollouts", "not_converted", col, eligible_mean(a_conv[[col]], idx0))
  band("rollouts", "converted", col, eligible_mean(b_conv[[col]], idx1))
}
for (col in c("real_conv", "sim_conv")) {  # both strata pooled, each resampled within its stratum
  va <- matrix(a_conv[[col]][idx0], nrow = B); vb <- matrix(b_conv[[col]][idx1], nrow = B)
  band("rollouts", "all", col, (rowSums(va) + rowSums(vb)) / (ncol(va) + ncol(vb)))
}
for (col in c("rollout", "rollout_common", "tf_common", "diff_common"))
  band("delta", "all", paste0(col, "_delta"), eligible_mean(a_conv[[col]], idx0) - eligible_mean(b_conv[[col]], idx1))
write_csv(do.call(rbind, boot_rows), "walkaway_bootstrap.csv")

## ---- permutation: outcome labels shuffled across all rolled-out conversations; each contrast over its eligible ones --
draws <- 200000
set.seed(12)
perm_rows <- list()
n_all <- nrow(ro_conv); n_a <- sum(ro_conv$converted == 0)
labels <- replicate(draws, sample.int(n_all, n_a))  # n_a x draws: the units labelled "not converted"
for (col in c("rollout", "rollout_common", "tf_common")) {
  x <- ro_conv[[col]]
  obs <- contrast(col)[1]
  ok <- !is.na(x); x0 <- ifelse(ok, x, 0)
  sa <- colSums(matrix(x0[labels], nrow = n_a)); ca <- colSums(matrix(ok[labels], nrow = n_a))
  sb <- sum(x0) - sa; cb <- sum(ok) - ca
  extreme <- ifelse(ca == 0 | cb == 0, TRUE, sa / ca - sb / cb >= obs - 1e-9)
  perm_rows[[length(perm_rows) + 1]] <- data.frame(statistic = paste0(col, "_delta"), observed = f17(obs),
    p = f17((1 + sum(extreme)) / (1 + draws)), draws = sprintf("%d", draws))
}
write_csv(do.call(rbind, perm_rows), "walkaway_permutation.csv")
