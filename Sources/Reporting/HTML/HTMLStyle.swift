/// The report page's stylesheet, inlined so the file needs nothing else to render or print.
enum HTMLStyle {
    static let css = """
        :root { --pass: #1b7f3b; --fail: #c62828; --warn: #b26a00; --muted: #5f6368; --line: #dadce0; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
               color: #202124; margin: 0 auto; padding: 24px; max-width: 1500px; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        p.lead { color: var(--muted); margin: 0 0 12px; }
        .verdict { display: inline-block; font-weight: 700; padding: 2px 12px; border-radius: 4px; color: #fff;
                   letter-spacing: .05em; }
        .verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
        .verdict.incomplete, .verdict.inconclusive { background: var(--warn); }
        .backend { display: inline-block; margin-left: 8px; padding: 2px 10px; border-radius: 4px;
                   border: 1px solid var(--line); }
        .banner { margin: 12px 0; padding: 10px 14px; border: 2px solid var(--warn); background: #fff4e0;
                  font-weight: 600; border-radius: 4px; }
        table { border-collapse: collapse; margin: 6px 0 12px; }
        th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.pass { color: var(--pass); font-weight: 700; } td.fail { color: var(--fail); font-weight: 700; }
        code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px 24px; }
        figure { margin: 0; break-inside: avoid; }
        figcaption { font-weight: 600; margin-bottom: 2px; }
        figure p.note { color: var(--muted); margin: 2px 0 0; font-size: 12px; }
        p.empty { color: var(--muted); font-style: italic; }
        p.problems { color: var(--fail); font-weight: 600; }
        svg.chart { width: 100%; height: auto; display: block; }
        svg.chart .plot { fill: #fff; stroke: none; }
        svg.chart .grid { stroke: #eceff1; stroke-width: 1; }
        svg.chart .axis { stroke: #5f6368; stroke-width: 1; }
        svg.chart text { fill: #3c4043; }
        svg.chart .axis-title { font-weight: 600; }
        svg.chart .series { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
        svg.chart .area { stroke: none; fill-opacity: .85; }
        svg.chart .series.dashed { stroke-dasharray: 5 3; stroke-width: 2.2; }
        svg.chart .rule { stroke-width: 1.4; stroke-dasharray: 6 4; }
        svg.chart text.rule-label { font-weight: 600; }
        svg.chart .band { fill: #e53935; fill-opacity: .14; stroke: #e53935; stroke-opacity: .4; }
        svg.chart .band-label, svg.chart .rule-label { paint-order: stroke; stroke: #fff; stroke-width: 3px;
                                                      stroke-linejoin: round; }
        svg.chart .band-label { fill: #b71c1c; font-weight: 600; }
        svg.chart .band.disturbance { fill: #f9a825; fill-opacity: .22; stroke: #f9a825; stroke-opacity: .6; }
        svg.chart .band-label.disturbance { fill: #8d6e00; }
        svg.chart .band.neutral { fill: #9aa0a6; fill-opacity: .18; stroke: #9aa0a6; stroke-opacity: .6; }
        svg.chart .band-label.neutral { fill: #5f6368; }
        svg.chart .interval line { stroke-width: 1.6; }
        section.fault { border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 4px;
                        padding: 4px 14px 2px; margin: 10px 0; break-inside: avoid; }
        section.fault.not-applied { border-left: 4px dashed var(--muted); background: #f8f9fa; }
        section.fault h3 { font-size: 15px; margin: 4px 0 6px; }
        .status { display: inline-block; font-size: 12px; font-weight: 700; padding: 1px 8px; border-radius: 4px;
                  margin-left: 6px; letter-spacing: .04em; vertical-align: 1px; }
        .status.applied { color: var(--fail); background: #fdecea; border: 1px solid var(--fail); }
        .status.not-applied { color: var(--muted); background: #eceff1; border: 1px dashed var(--muted); }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 4px; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
        ul.targets { margin: 0; padding-left: 18px; }
        dl.definitions dt { font-weight: 600; font-family: ui-monospace, Menlo, Consolas, monospace; }
        dl.definitions dd { margin: 0 0 6px 16px; color: #3c4043; }
        @media print {
          body { padding: 0; max-width: none; font-size: 11px; }
          .grid { grid-template-columns: 1fr 1fr; }
          h2 { break-after: avoid; }
          table, figure, .banner, section.fault { break-inside: avoid; }
          .verdict, .banner, th, .status { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        """
}
