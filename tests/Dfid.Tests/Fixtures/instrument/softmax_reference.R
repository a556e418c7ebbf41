# Independent reference for Dfid.Instrument.Learned.SoftmaxRegression (run: Rscript softmax_reference.R, in this folder).
# The same objective, written separately and minimised by R's optim (BFGS, analytic gradient, tight tolerance):
#   f(W, b) = sum_i s_i * -log softmax(W x_i + b)[y_i] / sum_i s_i + (lambda / 2) * sum(W^2)   (biases not penalised)
# Sizes are chosen so that rows (61) and features (10) are not multiples of 4: the C# code works in blocks of four.
# Outputs: softmax_data.csv (label, weight, x1..x10), softmax_reference.csv (p0, p1, p2 per row at the optimum).
set.seed(20261126)
n <- 61; d <- 10; K <- 3; lambda <- 0.01
y <- sample(0:(K - 1), n, replace = TRUE)
centres <- matrix(rnorm(K * d, sd = 0.8), K, d)
X <- centres[y + 1, ] + matrix(rnorm(n * d), n, d)
s <- round(runif(n, 0.5, 2), 3)
X <- round(X, 4)
write.csv(data.frame(label = y, weight = s, X), "softmax_data.csv", row.names = FALSE)

unpack <- function(theta) list(W = matrix(theta[1:(K * d)], K, d), b = theta[(K * d + 1):(K * d + K)])
probs <- function(theta) {
  p <- unpack(theta)
  Z <- X %*% t(p$W) + matrix(p$b, n, K, byrow = TRUE)
  Z <- Z - apply(Z, 1, max)
  E <- exp(Z)
  E / rowSums(E)
}
Y <- outer(y, 0:(K - 1), "==") * 1
f <- function(theta) {
  P <- probs(theta)
  -sum(s * log(P[cbind(1:n, y + 1)])) / sum(s) + lambda / 2 * sum(unpack(theta)$W^2)
}
grad <- function(theta) {
  R <- (probs(theta) - Y) * s / sum(s)
  gW <- t(R) %*% X + lambda * unpack(theta)$W
  c(as.vector(gW), colSums(R))
}
fit <- optim(rep(0, K * d + K), f, grad, method = "BFGS", control = list(maxit = 10000, reltol = 1e-15))
stopifnot(fit$convergence == 0)
P <- probs(fit$par)
write.csv(data.frame(p0 = sprintf("%.10f", P[, 1]), p1 = sprintf("%.10f", P[, 2]), p2 = sprintf("%.10f", P[, 3])),
          "softmax_reference.csv", row.names = FALSE, quote = FALSE)
cat("objective", sprintf("%.12f", fit$value), "max |gradient|", max(abs(grad(fit$par))), "\n")
