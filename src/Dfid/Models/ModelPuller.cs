using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Dfid.Models;

/// <summary>How a pull ended.</summary>
/// <param name="Path">The verified file.</param>
/// <param name="Sha256">Its SHA-256 (lower-case hex).</param>
/// <param name="Bytes">File size.</param>
/// <param name="AlreadyPresent">True when the file was there already (and still matched its hash).</param>
/// <param name="ResumedFrom">Bytes kept from an earlier cut download (0 when started fresh).</param>
/// <param name="HashPinned">True when the hash was pinned (list or <c>--sha256</c>), false when recorded now.</param>
public sealed record PullResult(string Path, string Sha256, long Bytes, bool AlreadyPresent, long ResumedFrom, bool HashPinned);

/// <summary>
/// Downloads a GGUF file into the models folder: resumes a cut download with an HTTP <c>Range</c> request, verifies the
/// SHA-256 (pinned, or recorded beside the file at the first download and checked on later use), and only then moves
/// the file into place, so a partial or wrong file is never used.
/// </summary>
public sealed class ModelPuller(HttpClient http, string modelsDirectory)
{
    /// <summary>Fetches <paramref name="nameOrUrl"/> (a name from <see cref="GgufModels.Named"/> or an http(s) URL).</summary>
    /// <param name="nameOrUrl">Model name or URL.</param>
    /// <param name="sha256">A pinned hash overriding the list's; null to use the list's or record one.</param>
    /// <param name="progress">Receives (bytes so far, total if known).</param>
    /// <param name="cancellationToken">Cancels the download; the partial file is kept for a resume.</param>
    /// <exception cref="DfidException">Unknown name, HTTP error, a cut connection (run again to resume) or a hash mismatch (the file is deleted).</exception>
    public async Task<PullResult> PullAsync(string nameOrUrl, string? sha256 = null, IProgress<(long Done, long? Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrUrl);
        var (url, file, pinned) = Resolve(nameOrUrl);
        pinned = sha256?.Trim().ToLowerInvariant() ?? pinned;
        Directory.CreateDirectory(modelsDirectory);
        var target = Path.Combine(modelsDirectory, file);
        var sidecar = target + ".sha256";
        if (File.Exists(target))
        {
            var expected = pinned ?? (File.Exists(sidecar) ? File.ReadAllText(sidecar).Trim().Split(' ')[0] : null);
            var actual = GgufModels.Sha256Of(target);
            if (expected is not null && !string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
                throw new DfidException($"{target} does not match its SHA-256 (expected {expected}, found {actual}); delete it and pull again.");
            if (expected is null) await File.WriteAllTextAsync(sidecar, actual + "  " + file + "\n", cancellationToken);
            return new PullResult(target, actual, new FileInfo(target).Length, true, 0, pinned is not null);
        }

        var part = target + ".part";
        var resumedFrom = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (resumedFrom > 0) request.Headers.Range = new RangeHeaderValue(resumedFrom, null);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new DfidException($"cannot reach {url}: {ex.Message}", 1, ex);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The partial file is already complete (or longer than the remote one): check it as it is.
                return await FinishAsync(part, target, sidecar, file, pinned, resumedFrom, cancellationToken);
            }
            if (!response.IsSuccessStatusCode)
                throw new DfidException($"download of {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            var append = resumedFrom > 0 && response.StatusCode == HttpStatusCode.PartialContent;
            if (!append) resumedFrom = 0;
            var total = response.Content.Headers.ContentLength is { } len ? len + resumedFrom : (long?)null;
            await using (var output = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                var buffer = new byte[1 << 16];
                var done = resumedFrom;
                progress?.Report((done, total));
                try
                {
                    int n;
                    while ((n = await input.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                        done += n;
                        progress?.Report((done, total));
                    }
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    await output.FlushAsync(CancellationToken.None);
                    throw new DfidException($"download of {url} was cut at {done:N0} of {(total is { } t ? t.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "?")} bytes; run the same command again to resume.", 1, ex);
                }
                if (total is { } expectedTotal && done < expectedTotal)
                    throw new DfidException($"download of {url} ended at {done:N0} of {expectedTotal:N0} bytes; run the same command again to resume.");
            }
            return await FinishAsync(part, target, sidecar, file, pinned, resumedFrom, cancellationToken);
        }
    }

    private static async Task<PullResult> FinishAsync(string part, string target, string sidecar, string file, string? pinned, long resumedFrom, CancellationToken ct)
    {
        string actual;
        await using (var s = File.OpenRead(part)) actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(s, ct));
        if (pinned is not null && !string.Equals(pinned, actual, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(part);
            throw new DfidException($"downloaded {file} has SHA-256 {actual}, but {pinned} was expected; the file was deleted. "
                + "Check the URL or the pinned hash (--sha256).");
        }
        File.Move(part, target, overwrite: true);
        await File.WriteAllTextAsync(sidecar, actual + "  " + file + "\n", ct);
        return new PullResult(target, actual, new FileInfo(target).Length, false, resumedFrom, pinned is not null);
    }

    private static (Uri Url, string File, string? Sha256) Resolve(string nameOrUrl)
    {
        if (GgufModels.Named.TryGetValue(nameOrUrl, out var named)) return (new Uri(named.Url), named.File, named.Sha256?.ToLowerInvariant());
        if (Uri.TryCreate(nameOrUrl, UriKind.Absolute, out var url) && (url.Scheme == "http" || url.Scheme == "https"))
        {
            var file = Path.GetFileName(url.AbsolutePath);
            if (string.IsNullOrEmpty(file) || file.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                throw new DfidException($"cannot tell a file name from {url}; use a URL that ends with the .gguf file name.", 2);
            return (url, file, null);
        }
        throw new DfidException($"'{nameOrUrl}' is neither a known model ({string.Join(", ", GgufModels.Named.Keys)}) nor an http(s) URL.", 2);
    }
}
