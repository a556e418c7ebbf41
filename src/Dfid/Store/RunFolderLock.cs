using System.Globalization;
using System.Text;

namespace Dfid.Store;

/// <summary>
/// An exclusive lock on a run folder for one working session (<c>dfid run</c>, <c>dfid demo</c>): a second process that
/// wants to work on the same folder is refused with who holds it, instead of paying every model call a second time.
/// </summary>
/// <remarks>
/// The lock is an OS byte-range lock on <c>run.lock</c> in the folder, so it is released when the holder exits, however it
/// exits (a <c>kill -9</c> leaves no stale lock). The file's text names the holder (process id, host, start time,
/// command) for the refusal message. Reading a run (<c>analyze</c>, <c>report</c>, <c>export</c>) takes no lock, and two runs
/// that share a response cache file but not a folder are unaffected.
/// </remarks>
public sealed class RunFolderLock : IDisposable
{
    /// <summary>File name of the lock inside a run folder.</summary>
    public const string FileName = "run.lock";

    private readonly FileStream _file;

    private RunFolderLock(FileStream file) => _file = file;

    /// <summary>Takes the lock of <paramref name="runDir"/> (creating the folder), or explains who holds it.</summary>
    /// <param name="runDir">The run folder.</param>
    /// <param name="command">What this session is, recorded for a second process's message (e.g. <c>dfid run exp.yaml</c>).</param>
    /// <param name="time">Clock of the recorded start time.</param>
    /// <exception cref="DfidException">Another process holds the folder (exit code 1); the message names it.</exception>
    public static RunFolderLock Acquire(string runDir, string command, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        Directory.CreateDirectory(runDir);
        var path = Path.Combine(runDir, FileName);
        // macOS has no byte-range locks in .NET: there the file itself is opened exclusively (the holder's text cannot be read then).
        var exclusive = OperatingSystem.IsMacOS();
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, exclusive ? FileShare.None : FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException) when (exclusive)
        {
            throw new DfidException($"{Path.GetFullPath(runDir)} is in use by another dfid session; wait for it to finish, stop it, or run with --out NEW_FOLDER", 1);
        }
        try
        {
            if (!OperatingSystem.IsMacOS()) file.Lock(0, 1);
        }
        catch (IOException)
        {
            var holder = ReadHolder(file);
            file.Dispose();
            throw new DfidException(
                $"{Path.GetFullPath(runDir)} is in use by another dfid session ({holder}); wait for it to finish, stop it, or run with --out NEW_FOLDER", 1);
        }
        var text = string.Create(CultureInfo.InvariantCulture,
            $"pid {Environment.ProcessId} on {Environment.MachineName}, started {(time ?? TimeProvider.System).GetUtcNow():yyyy-MM-dd HH:mm:ss} UTC: {command}");
        // The holder text lives after the locked byte, which stays a placeholder.
        file.SetLength(0);
        file.Write(Encoding.UTF8.GetBytes("#" + text + "\n"));
        file.Flush(flushToDisk: false);
        return new RunFolderLock(file);
    }

    private static string ReadHolder(FileStream file)
    {
        try
        {
            file.Position = 1;
            var buffer = new byte[4096];
            var n = file.Read(buffer, 0, buffer.Length);
            var text = Encoding.UTF8.GetString(buffer, 0, n).Trim();
            return text.Length > 0 ? text : "holder unknown";
        }
        catch (IOException)
        {
            return "holder unknown";
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            _file.SetLength(0);
            if (!OperatingSystem.IsMacOS()) _file.Unlock(0, 1);
        }
        catch (IOException)
        {
            // Released when the handle closes anyway.
        }
        _file.Dispose();
    }
}
