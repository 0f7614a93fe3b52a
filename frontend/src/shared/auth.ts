/** Session calls shared by the console and the H5 app. */
import { api, type RequestOptions } from './api'
import type { LoginIn, Me, MenuNode } from './schemas'

export async function login(credentials: LoginIn): Promise<Me> {
  await api.get<void>('/auth/csrf') // sets the qifu_csrftoken cookie
  return api.post<Me>('/auth/login', credentials, { skipAuthRedirect: true })
}

export const logout = () => api.post<void>('/auth/logout', undefined, { skipAuthRedirect: true })
export const fetchMe = (options?: RequestOptions) => api.get<Me>('/auth/me', undefined, options)
export const fetchMenu = (options?: RequestOptions) => api.get<MenuNode[]>('/auth/menu', undefined, options)
export const switchOrganisation = (organisationId: number) =>
  api.post<Me>('/auth/organisation', { organisation_id: organisationId })
