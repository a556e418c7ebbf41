# Reference values for Dfid.Tests.Analysis.SurvivalReferenceTests, computed with R's `survival` package
# (survfit, summary.survfit, survdiff), independently of the C# code.
# Regenerate: cd tests/Dfid.Tests/Fixtures/analysis && Rscript survival_reference.R
# (R 4.2.2, survival 3.5-3 from Debian's r-cran-survival; writes the survival_*.csv files beside this script.)
#
# Data: right-censored discrete times (user turns until the user exits; censored at the cap or at a decision).
# status 1 = exit observed, 0 = censored. group and stratum are 0-based integer codes.
suppressPackageStartupMessages(library(survival))
options(digits = 17, warn = 1)
f17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))  # Inf stays "Inf"; NA and NaN become "NA"
write_csv <- function(df, file) write.table(df, file, sep = ",", row.names = FALSE, quote = FALSE)

set.seed(20260614)
# Turns to exit ~ 1 + geometric(hazard); censored at a decision turn (1 + geometric(decide)) or at the cap.
turns <- function(n, hazard, decide, cap) {
  exit <- 1 + rgeom(n, hazard)
  stop_at <- if (decide > 0) pmin(cap, 1 + rgeom(n, decide)) else rep(cap, n)
  data.frame(time = pmin(exit, stop_at), status = as.integer(exit <= stop_at))
}
with_group <- function(d, g, s = 0) cbind(d, group = g, stratum = s)

sets <- list()
# Hand-made ties: events and censorings at the same times in both groups; group 1 ends on a lone event (S = 0).
sets$ties <- rbind(
  data.frame(time = c(1, 1, 2, 2, 2, 3, 4, 4, 5, 6), status = c(1, 0, 1, 1, 0, 0, 1, 0, 1, 0), group = 0, stratum = 0),
  data.frame(time = c(1, 2, 2, 3, 3, 3, 5, 5, 7, 8), status = c(1, 0, 1, 1, 1, 0, 1, 0, 0, 1), group = 1, stratum = 0))
# Heavy censoring: rare exits, frequent decisions, cap 10.
sets$heavy <- rbind(with_group(turns(80, 0.04, 0.15, 10), 0), with_group(turns(80, 0.10, 0.15, 10), 1))
# One group entirely censored (a simulator that never walks away).
sets$allcens <- rbind(with_group(turns(30, 0.2, 0, 12), 0),
                      data.frame(time = c(3, 5, 5, 8, 12, 12, 12, 12, 12, 12), status = 0, group = 1, stratum = 0))
# Groups whose S reaches 0: the largest time in each is an event (group 1: two events among the last two at risk).
sets$zero <- rbind(
  data.frame(time = c(1, 2, 2, 3, 4, 4, 6), status = c(1, 1, 0, 1, 1, 0, 1), group = 0, stratum = 0),
  data.frame(time = c(2, 3, 3, 5, 7, 7), status = c(1, 0, 1, 1, 1, 1), group = 1, stratum = 0))
# Unequal group sizes.
sets$unequal <- rbind(with_group(turns(200, 0.12, 0.05, 15), 0), with_group(turns(9, 0.3, 0, 15), 1))
# k = 3 groups.
sets$k3 <- rbind(with_group(turns(40, 0.10, 0.05, 12), 0), with_group(turns(55, 0.05, 0.05, 12), 1),
                 with_group(turns(30, 0.20, 0.05, 12), 2))
# k = 3, group 2 all censored before the first event anywhere: its expected count is 0, so survdiff drops it (df = 1).
early <- turns(40, 0.15, 0, 10); early$time <- early$time + 2
early2 <- turns(35, 0.25, 0, 10); early2$time <- early2$time + 2
sets$early <- rbind(with_group(early, 0), with_group(early2, 1),
                    data.frame(time = c(1, 1, 2, 2), status = 0, group = 2, stratum = 0))
# S hits exactly 0.5 on a flat step: print.survfit's median is the midpoint to the next event time.
sets$half <- rbind(data.frame(time = c(1, 2, 3, 4), status = 1, group = 0, stratum = 0),
                   data.frame(time = c(1, 2, 2, 4, 5, 6), status = c(1, 1, 1, 0, 1, 1), group = 1, stratum = 0))
# No event anywhere: survdiff gives chisq 0, df -1, p NaN.
sets$noevents <- rbind(data.frame(time = c(1, 2, 3), status = 0, group = 0, stratum = 0),
                       data.frame(time = c(2, 2, 4, 6), status = 0, group = 1, stratum = 0))
# Real (group 0) vs simulated (group 1) within outcome strata (0 = not converted, 1 = converted).
sets$strata <- rbind(with_group(turns(45, 0.20, 0, 12), 0, 0), with_group(turns(45, 0.05, 0, 12), 1, 0),
                     with_group(turns(35, 0.05, 0.25, 12), 0, 1), with_group(turns(35, 0.02, 0.25, 12), 1, 1))

data <- do.call(rbind, lapply(names(sets), function(s) {
  d <- sets[[s]]
  data.frame(set = s, id = seq_len(nrow(d)), time = d$time, status = d$status, group = d$group, stratum = d$stratum)
}))
write_csv(data, "survival_data.csv")

## Kaplan-Meier per (set, stratum, group) and conf.type; conf.int 0.95 everywhere plus 0.90 on one set.
km_rows <- list(); med_rows <- list()
for (s in names(sets)) {
  d <- sets[[s]]
  for (st in sort(unique(d$stratum))) for (g in sort(unique(d$group[d$stratum == st]))) {
    dd <- d[d$stratum == st & d$group == g, ]
    levels <- if (s == "heavy") c(0.95, 0.90) else 0.95
    for (ct in c("log", "plain", "log-log")) for (lv in levels) {
      fit <- survfit(Surv(time, status) ~ 1, data = dd, conf.type = ct, conf.int = lv)
      sm <- summary(fit, censored = TRUE)  # every row of fit; $std.err here is the se of S itself
      stopifnot(length(sm$time) == length(fit$time), all(sm$time == fit$time))
      km_rows[[length(km_rows) + 1]] <- data.frame(
        set = s, stratum = st, group = g, conf_type = ct, conf_level = lv, time = fit$time,
        n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor, surv = f17(fit$surv),
        std_err_log = f17(fit$std.err), std_err_surv = f17(sm$std.err), lower = f17(fit$lower), upper = f17(fit$upper))
      tab <- summary(fit)$table  # what print(fit) shows: records, events, median and its CI
      med_rows[[length(med_rows) + 1]] <- data.frame(
        set = s, stratum = st, group = g, conf_type = ct, conf_level = lv, n = tab[["records"]],
        events = tab[["events"]], median = f17(tab[["median"]]),
        lcl = f17(tab[[paste0(lv, "LCL")]]), ucl = f17(tab[[paste0(lv, "UCL")]]))
    }
  }
}
write_csv(do.call(rbind, km_rows), "survival_km.csv")
write_csv(do.call(rbind, med_rows), "survival_median.csv")

## Log-rank (survdiff, rho = 0): per set over all rows (strata ignored), per stratum of the strata set,
## and stratified (survdiff with strata(stratum)) on the strata set.
lr_rows <- list(); var_rows <- list(); str_rows <- list()
logrank <- function(s, test, dd, stratified = FALSE) {
  sd <- if (stratified) survdiff(Surv(time, status) ~ group + strata(stratum), data = dd)
        else survdiff(Surv(time, status) ~ group, data = dd)
  groups <- as.integer(names(sd$n) |> sub(pattern = "^group=", replacement = ""))
  k <- length(groups)
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  exp <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  df <- sum(exp > 0) - 1
  lr_rows[[length(lr_rows) + 1]] <<- data.frame(
    set = s, test = test, group = groups, n = as.vector(sd$n), obs = f17(obs), exp = f17(exp),
    chisq = f17(sd$chisq), df = df, p = f17(sd$pvalue))
  var_rows[[length(var_rows) + 1]] <<- data.frame(
    set = s, test = test, i = rep(groups, times = k), j = rep(groups, each = k), var = f17(as.vector(sd$var)))
  if (stratified) {
    strata_codes <- sort(unique(dd$stratum))
    str_rows[[length(str_rows) + 1]] <<- data.frame(
      set = s, test = test, stratum = rep(strata_codes, each = k), group = rep(groups, times = length(strata_codes)),
      obs = f17(as.vector(sd$obs)), exp = f17(as.vector(sd$exp)))
  }
}
for (s in names(sets)) logrank(s, "pooled", sets[[s]])
for (st in 0:1) logrank("strata", paste0("stratum", st), sets$strata[sets$strata$stratum == st, ])
logrank("strata", "stratified", sets$strata, stratified = TRUE)
write_csv(do.call(rbind, lr_rows), "survival_logrank.csv")
write_csv(do.call(rbind, var_rows), "survival_logrank_var.csv")
write_csv(do.call(rbind, str_rows), "survival_logrank_strata.csv")
