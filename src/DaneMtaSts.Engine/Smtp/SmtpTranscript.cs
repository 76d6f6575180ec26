namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// The SMTP dialogue as lines for people ("S: " server, "C: " client, "-- " events), bounded in
/// lines and line length. A diagnostic only: nothing reads facts back out of it.
/// </summary>
internal sealed class SmtpTranscript
{
    private const int MaxLines = 400;
    private const int MaxLineChars = 512;

    private readonly List<string> lines = [];
    private readonly object gate = new();
    private int dropped;

    public int Count
    {
        get
        {
            lock (gate)
            {
                return lines.Count + (dropped == 0 ? 0 : 1);
            }
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (gate)
            {
                return dropped == 0 ? lines.ToArray() : [.. lines, $"-- {dropped} further lines not kept"];
            }
        }
    }

    public void Server(string line) => Add("S: " + line);

    public void Client(string line) => Add("C: " + line);

    public void Note(string text) => Add("-- " + text);

    private void Add(string line)
    {
        if (line.Length > MaxLineChars)
        {
            line = line[..MaxLineChars] + "…";
        }

        lock (gate)
        {
            if (lines.Count < MaxLines)
            {
                lines.Add(line);
            }
            else
            {
                dropped++;
            }
        }
    }
}
