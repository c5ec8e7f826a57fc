import * as vscode from 'vscode';
import type { Services } from './services';
import { registerContainersTree, type ContainersTreeProvider, type ContainerTreeNode } from './containers/containersTree';
import { registerResourceTrees, type ImagesTree, type VolumesTree } from './images/resourceTrees';
import { registerRegistriesTree, type RegistriesView } from './registries/registriesTree';
import { LogSearchView } from './logsearch/logSearchView';

export interface Trees {
  readonly containers: { readonly provider: ContainersTreeProvider; readonly view: vscode.TreeView<ContainerTreeNode> };
  readonly images: ImagesTree;
  readonly volumes: VolumesTree;
  readonly registries: RegistriesView;
  readonly logSearch: LogSearchView;
}

export function registerTrees(services: Services): Trees {
  const containers = registerContainersTree(services, services.containers);
  services.context.subscriptions.push(vscode.window.createTreeView('berth.scanResults', { treeDataProvider: services.scans }));
  const logSearch = new LogSearchView();
  services.context.subscriptions.push(logSearch);
  return {
    containers,
    ...registerResourceTrees(services, services.containers),
    registries: registerRegistriesTree(services),
    logSearch,
  };
}
