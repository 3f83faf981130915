-- wrk -s bench/percentiles.lua: print exact latency percentiles (microseconds), p95 included,
-- which wrk's own --latency table lacks.
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("P%d %d\n", p, latency:percentile(p)))
  end
end
