/**
 * What a search has found so far, grouped by container: each container's matches kept in time order
 * however they arrive (stdout and stderr are stamped apart, so a log's order can step back), its
 * failure if it had one, and the counts the view shows. Pure.
 */
import type { LogMatch, LogSearchEvent, SearchedContainer } from '../../core/logsearch/search';

export interface ContainerResults {
  readonly container: SearchedContainer;
  readonly matches: LogMatch[];
  /** Why its log could not be (wholly) searched. */
  failure?: string;
  finished: boolean;
}

export class ResultSet {
  private readonly byId = new Map<string, ContainerResults>();
  /** Containers to search, from the `started` event. */
  planned = 0;
  finished = 0;
  total = 0;
  /** The result limit, once reached. */
  limit: number | undefined;

  /** Take one event; true when what the view shows changed. */
  add(event: LogSearchEvent): boolean {
    switch (event.kind) {
      case 'started':
        this.planned = event.containers.length;
        return false;
      case 'match': {
        const results = this.entry(event.match.containerId, { id: event.match.containerId, name: event.match.containerName });
        insertByTime(results.matches, event.match);
        this.total++;
        return true;
      }
      case 'done': {
        const results = this.byId.get(event.container.id);
        if (results) results.finished = true;
        this.finished++;
        return results !== undefined;
      }
      case 'failed':
        this.entry(event.container.id, event.container).failure = event.message;
        this.entry(event.container.id, event.container).finished = true;
        this.finished++;
        return true;
      case 'limit':
        this.limit = event.maxResults;
        return true;
    }
  }

  /** Containers with matches or a failure, in the order they first had one. */
  containers(): ContainerResults[] {
    return [...this.byId.values()];
  }

  failures(): ContainerResults[] {
    return this.containers().filter((c) => c.failure !== undefined);
  }

  private entry(id: string, container: SearchedContainer): ContainerResults {
    let results = this.byId.get(id);
    if (results === undefined) {
      results = { container, matches: [], finished: false };
      this.byId.set(id, results);
    }
    return results;
  }
}

/** Insert keeping time order; equal times keep arrival order. Most matches arrive in order: a look from the end. */
export function insertByTime(list: LogMatch[], match: LogMatch): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.timestamp > match.timestamp) i--;
  list.splice(i, 0, match);
}

/** "12 matches in 3 containers", "1 match in 1 container", "no matches". */
export function describeCount(total: number, containers: number): string {
  if (total === 0) return 'no matches';
  return `${total} ${total === 1 ? 'match' : 'matches'} in ${containers} ${containers === 1 ? 'container' : 'containers'}`;
}
