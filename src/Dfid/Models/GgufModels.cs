using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dfid.Models;

/// <summary>A named GGUF model that <c>dfid models pull NAME</c> can fetch.</summary>
/// <param name="Url">Download URL.</param>
/// <param name="File">File name in the cache folder.</param>
/// <param name="Sha256">Pinned SHA-256 (lower-case hex), or null to record it at the first download.</param>
/// <param name="ApproxMb">Approximate size, for the user.</param>
/// <param name="License">The model's license.</param>
public sealed record NamedGguf(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("approx_mb")] int ApproxMb,
    [property: JsonPropertyName("license")] string License);

/// <summary>Where local models live and how <c>gguf:PATH|NAME</c> resolves.</summary>
/// <remarks>
/// The cache folder is <c>$DFID_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/dfid</c>, else <c>~/.cache/dfid</c>; models go to
/// its <c>models/</c> folder, each with a <c>FILE.sha256</c> beside it (pinned or recorded at the first download).
/// </remarks>
public static class GgufModels
{
    /// <summary>The built-in list of named models (<c>Resources/models/gguf-models.json</c>).</summary>
    public static IReadOnlyDictionary<string, NamedGguf> Named { get; } = Load();

    /// <summary>The user cache folder: <c>$DFID_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/dfid</c>, else <c>~/.cache/dfid</c>.</summary>
    public static string CacheRoot(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return CacheFolder.Default(environment);
    }

    /// <summary>The folder pulled models go to (<c>models/</c> under <see cref="CacheRoot"/>).</summary>
    public static string ModelsDirectory(Func<string, string?> environment) => Path.Combine(CacheRoot(environment), "models");

    /// <summary>The default response cache file (<c>responses.sqlite</c> under <see cref="CacheRoot"/>).</summary>
    public static string DefaultResponseCachePath(Func<string, string?> environment) => Path.Combine(CacheRoot(environment), "responses.sqlite");

    /// <summary>The file for <c>gguf:</c><paramref name="pathOrName"/>: an existing path, or a pulled named model whose hash still matches.</summary>
    /// <exception cref="DfidException">Not found (the message says how to pull it), or the pulled file no longer matches its hash.</exception>
    public static string ResolvePath(string pathOrName, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(pathOrName);
        if (File.Exists(pathOrName)) return Path.GetFullPath(pathOrName);
        var dir = ModelsDirectory(environment);
        var file = Named.TryGetValue(pathOrName, out var named) ? named.File : pathOrName.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? Path.GetFileName(pathOrName) : null;
        if (file is not null && File.Exists(Path.Combine(dir, file)))
        {
            var path = Path.Combine(dir, file);
            VerifyRecordedHash(path, named?.Sha256);
            return path;
        }
        throw new DfidException(named is not null
            ? $"gguf model '{pathOrName}' is not downloaded yet: run 'dfid models pull {pathOrName}' (about {named.ApproxMb} MB) or give a file path."
            : $"gguf model '{pathOrName}' not found: give the path of a .gguf file, or one of the names {string.Join(", ", Named.Keys)} after 'dfid models pull NAME'.", 2);
    }

    /// <summary>Checks a pulled file against its pinned hash or the one recorded at download (<c>FILE.sha256</c>).</summary>
    /// <exception cref="DfidException">The file changed since it was downloaded.</exception>
    public static void VerifyRecordedHash(string path, string? pinned = null)
    {
        var sidecar = path + ".sha256";
        var expected = pinned ?? (File.Exists(sidecar) ? File.ReadAllText(sidecar).Trim().Split(' ')[0] : null);
        if (expected is null) return;
        var actual = Sha256Of(path);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new DfidException($"gguf model '{path}' does not match its SHA-256 (expected {expected}, found {actual}); delete it and run 'dfid models pull' again.", 1);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    private static Dictionary<string, NamedGguf> Load()
    {
        var doc = JsonSerializer.Deserialize<ListFile>(PriceTable.ReadResource("gguf-models.json"))!;
        return new Dictionary<string, NamedGguf>(doc.Models, StringComparer.OrdinalIgnoreCase);
    }

    private sealed record ListFile([property: JsonPropertyName("models")] Dictionary<string, NamedGguf> Models);
}
